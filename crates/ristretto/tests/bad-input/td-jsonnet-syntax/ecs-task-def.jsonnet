{ family: "web", 
