from gateui.cli import main

raise SystemExit(main())
