from fakes.cli import main

main()
