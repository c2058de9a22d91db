error "no family for you"
