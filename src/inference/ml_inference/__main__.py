import sys

from ml_inference.entrypoint import main

sys.exit(main())
