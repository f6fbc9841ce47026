from pm_sync.cli import main

main()
