import sys

from skucut.cli import main

sys.exit(main())
