"""ml-platform's local tools: the demo data of the bundled example models, a local Kafka broker
and the local pipeline runner. The root development environment installs this package; the
training and inference images do not (a test checks their lock files)."""
