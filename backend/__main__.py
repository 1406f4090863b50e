import sys

from backend.server import main

sys.exit(main())
