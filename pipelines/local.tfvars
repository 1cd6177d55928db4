# Settings of the `local` environment: the same keys as terraform/<env>/terraform.tfvars,
# read by scripts/generate_params_json.py. Empty values are filled by the local runner's
# embedded defaults (local feature store, MLflow on SQLite, a local Kafka broker).
project_name = "ml-platform"
environment  = "local"

feature_store_backend = "local"
mlflow_tracking_uri   = ""

training_image_uri     = "ml-platform-training:local"
training_instance_type = "ml.m5.large"
training_hyperparameters = {
  n_estimators    = "100"
  max_depth       = "10"
  model_name      = "churn-classifier"
  experiment_name = "ml-platform-local"
}
labels_uri = ".mlplatform/demo-data/labels.parquet"

inference_image_uri      = "ml-platform-inference:local"
inference_instance_type  = "ml.m5.large"
inference_instance_count = 1
kafka_output_topic       = "ml-predictions-local"
kafka_bootstrap_servers  = ""
kafka_create_topic       = "true"
