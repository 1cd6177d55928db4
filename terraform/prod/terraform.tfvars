# Settings of the prod environment. Read by Terraform and by scripts/generate_params_json.py.
project_name = "ml-platform"
environment  = "prod"
aws_region   = "us-east-1"

feature_store_backend = "sagemaker"
feature_group_prefix  = "ml-platform-prod-"
mlflow_tracking_uri   = "arn:aws:sagemaker:us-east-1:222222222222:mlflow-tracking-server/ml-platform-prod"
sagemaker_role_arn    = "arn:aws:iam::222222222222:role/ml-platform-prod-sagemaker-execution"

# Image URIs are rewritten (pinned by digest) by scripts/build_push_ecr.sh.
training_image_uri  = "222222222222.dkr.ecr.us-east-1.amazonaws.com/ml-platform-prod-training:latest"
inference_image_uri = "222222222222.dkr.ecr.us-east-1.amazonaws.com/ml-platform-prod-inference:latest"

training_instance_type = "ml.m5.2xlarge"
# Per model (models/<name>.yaml), this environment's training settings over the spec's.
training_hyperparameters = {
  churn = {
    n_estimators = "200"
    max_depth    = "12"
  }
}
experiment_name     = "ml-platform-prod"
data_uri            = "s3://ml-platform-prod-data-222222222222"
model_output_s3_uri = "s3://ml-platform-prod-models-222222222222/training"

inference_instance_type  = "ml.m5.2xlarge"
inference_instance_count = 2
kafka_bootstrap_servers  = "b-1.ml-platform-prod.kafka.us-east-1.amazonaws.com:9098"
report_s3_uri            = "s3://ml-platform-prod-models-222222222222/inference-reports"
# Schedules, topics and labels come from each model spec (models/*.yaml).
