from gestura.cli import main

main()
