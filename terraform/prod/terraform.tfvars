# Settings of the prod environment. Read by Terraform and by scripts/generate_params_json.py.
project_name = "ml-platform"
environment  = "prod"
aws_region   = "us-east-1"

feature_store_backend = "sagemaker"
feature_group_prefix  = "ml-platform-prod-"
mlflow_tracking_uri   = "arn:aws:sagemaker:us-east-1:222222222222:mlflow-tracking-server/ml-platform-prod"
sagemaker_role_arn    = "arn:aws:iam::222222222222:role/ml-platform-prod-sagemaker-execution"
kms_key_id            = "alias/ml-platform-prod"

# The images: pinned by digest in images.auto.tfvars.json, written by scripts/build_push_ecr.sh.

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

# The jobs run in the VPC of the Kafka cluster (subnets with a NAT gateway, or the VPC endpoints of
# terraform/modules/vpc_endpoints); the security groups must reach the brokers.
job_subnet_ids         = ["subnet-0123456789abcdef0"]
job_security_group_ids = ["sg-0123456789abcdef0"]
# Without a NAT gateway: create_vpc_endpoints = true, vpc_id = "vpc-...", vpc_route_table_ids = ["rtb-..."].

inference_instance_type  = "ml.m5.2xlarge"
inference_instance_count = 2
# Kafka: Amazon MSK with SASL/SCRAM (port 9096); the password is in an AmazonMSK_* secret
# encrypted with a customer-managed key (MSK requires both).
kafka_bootstrap_servers  = "b-1.REPLACE-ME.kafka.us-east-1.amazonaws.com:9096"
kafka_security_protocol  = "SASL_SSL"
kafka_sasl_mechanism     = "SCRAM-SHA-512"
kafka_secret_arn         = "arn:aws:secretsmanager:us-east-1:222222222222:secret:AmazonMSK_ml-platform-prod-REPLACE-ME"
kafka_secret_kms_key_arn = "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-000000000000"
report_s3_uri            = "s3://ml-platform-prod-models-222222222222/inference-reports"
predictions_s3_uri       = "s3://ml-platform-prod-models-222222222222/predictions"
# Schedules, topics and labels come from each model spec (models/*.yaml).

# Tags for every resource, on top of Project/Environment/ManagedBy (provider default_tags).
# tags = { CostCenter = "ml-platform", Owner = "data-platform" }
