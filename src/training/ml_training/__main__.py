import sys

from ml_training.entrypoint import main

sys.exit(main())
