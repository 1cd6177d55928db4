# Settings of the `local` environment: the same keys as terraform/<env>/terraform.tfvars,
# read by scripts/generate_params_json.py and the local runner. Empty values are filled by the
# local runner's embedded defaults (local feature store, MLflow on SQLite, the demo data
# folder $MLP_STATE_DIR/demo-data as data_uri, a local Kafka broker).
project_name = "ml-platform"
environment  = "local"

feature_store_backend = "local"
mlflow_tracking_uri   = ""
data_uri              = ""

training_image_uri     = "ml-platform-training:local"
training_instance_type = "ml.m5.large"
# Per model: training settings of this environment's runs (the TrainingOverrides parameter).
training_hyperparameters = {}

inference_image_uri      = "ml-platform-inference:local"
inference_instance_type  = "ml.m5.large"
inference_instance_count = 1
kafka_bootstrap_servers  = ""
kafka_create_topic       = "true"
