from cgan.cli import main

main()
