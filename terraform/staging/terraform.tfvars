# Settings of the staging environment. Read by Terraform and by scripts/generate_params_json.py.
project_name = "ml-platform"
environment  = "staging"
aws_region   = "us-east-1"

feature_store_backend = "sagemaker"
feature_group_prefix  = "ml-platform-staging-"
mlflow_tracking_uri   = "arn:aws:sagemaker:us-east-1:111111111111:mlflow-tracking-server/ml-platform-staging"
sagemaker_role_arn    = "arn:aws:iam::111111111111:role/ml-platform-staging-sagemaker-execution"
kms_key_id            = "alias/ml-platform-staging"

# The images: pinned by digest in images.auto.tfvars.json, written by scripts/build_push_ecr.sh.

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

# The jobs run in the VPC of the Kafka cluster (subnets with a NAT gateway, or the VPC endpoints of
# terraform/modules/vpc_endpoints); the security groups must reach the brokers.
job_subnet_ids         = ["subnet-0123456789abcdef0"]
job_security_group_ids = ["sg-0123456789abcdef0"]
# Without a NAT gateway: create_vpc_endpoints = true, vpc_id = "vpc-...", vpc_route_table_ids = ["rtb-..."].

inference_instance_type  = "ml.m5.large"
inference_instance_count = 1
# Kafka: Amazon MSK with IAM authentication (port 9098); the role may write the models' topics.
# Other modes: PLAINTEXT/SSL without SASL, or SASL_SSL + SCRAM-SHA-512 (see terraform/prod).
kafka_bootstrap_servers = "b-1.REPLACE-ME.kafka.us-east-1.amazonaws.com:9098"
kafka_security_protocol = "SASL_SSL"
kafka_sasl_mechanism    = "AWS_MSK_IAM"
kafka_cluster_arn       = "arn:aws:kafka:us-east-1:111111111111:cluster/ml-platform-staging/REPLACE-ME"
report_s3_uri           = "s3://ml-platform-staging-models-111111111111/inference-reports"
predictions_s3_uri      = "s3://ml-platform-staging-models-111111111111/predictions"
# Schedules, topics and labels come from each model spec (models/*.yaml).

# Tags for every resource, on top of Project/Environment/ManagedBy (provider default_tags).
# tags = { CostCenter = "ml-platform", Owner = "data-platform" }
