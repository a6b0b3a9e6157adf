"""The prompt files, shipped inside the package as adp_cli.prompts so an installed adp finds them."""
