"""The prompt files, shipped inside the package as adp_cli.prompt_files so an installed adp finds them."""
