from adp_cli.cli import main

main()
