from zygarde.cli import main

main()
