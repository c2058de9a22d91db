{
  family: "web",
  networkMode: "bridgex",
  containerDefinitions: [{ name: "app", image: "nginx" }],
}
