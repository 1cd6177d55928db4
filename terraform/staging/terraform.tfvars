# Settings of the staging environment. Read by Terraform and by scripts/generate_params_json.py.
project_name = "ml-platform"
environment  = "staging"
aws_region   = "us-east-1"

feature_store_backend = "sagemaker"
feature_group_prefix  = "ml-platform-staging-"
mlflow_tracking_uri   = "arn:aws:sagemaker:us-east-1:111111111111:mlflow-tracking-server/ml-platform-staging"
sagemaker_role_arn    = "arn:aws:iam::111111111111:role/ml-platform-staging-sagemaker-execution"

# Image URIs are rewritten (pinned by digest) by scripts/build_push_ecr.sh.
training_image_uri  = "111111111111.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-training:latest"
inference_image_uri = "111111111111.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-inference:latest"

training_instance_type = "ml.m5.large"
# Per model (models/<name>.yaml), this environment's training settings over the spec's.
training_hyperparameters = {
  churn = {
    n_estimators = "200"
    max_depth    = "12"
  }
}
experiment_name     = "ml-platform-staging"
data_uri            = "s3://ml-platform-staging-data-111111111111"
model_output_s3_uri = "s3://ml-platform-staging-models-111111111111/training"

inference_instance_type  = "ml.m5.large"
inference_instance_count = 1
kafka_bootstrap_servers  = "b-1.ml-platform-staging.kafka.us-east-1.amazonaws.com:9098"
report_s3_uri            = "s3://ml-platform-staging-models-111111111111/inference-reports"
# Schedules, topics and labels come from each model spec (models/*.yaml).
