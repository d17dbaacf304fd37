from fakes._entry import main

main()
