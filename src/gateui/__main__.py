from gateui.cli.main import main

raise SystemExit(main())
