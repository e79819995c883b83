from o2d_inbox.cli import main

raise SystemExit(main())
