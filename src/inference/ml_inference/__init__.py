"""The batch inference job: champion model x latest features -> Kafka."""

import time

STARTED_AT = time.time()  # when the package was first imported: the job's clock starts here
