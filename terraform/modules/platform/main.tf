data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  name_prefix = "${var.project_name}-${var.environment}"
  mlflow_name = "${local.name_prefix}-mlflow"
  # Known at plan time, so IAM can be scoped to the server before it exists.
  created_mlflow_arn = "arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:mlflow-tracking-server/${local.mlflow_name}"
  mlflow_uri         = var.create_mlflow_tracking_server ? local.created_mlflow_arn : var.mlflow_tracking_uri
  mlflow_arn         = startswith(local.mlflow_uri, "arn:") ? local.mlflow_uri : ""
  # The execution role's ARN as IAM forms it (path /), known at plan time for the parameters.
  sagemaker_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${local.name_prefix}-sagemaker-execution"
  vpc_config         = length(var.job_subnet_ids) > 0 ? { subnet_ids = var.job_subnet_ids, security_group_ids = var.job_security_group_ids } : null
}

# -- models: one training and one inference pipeline per models/<name>.yaml -----------------
locals {
  model_files = { for f in fileset(var.model_specs_dir, "*.yaml") : trimsuffix(f, ".yaml") => "${var.model_specs_dir}/${f}" }
  models = {
    for name, path in local.model_files : name => {
      spec = yamldecode(file(path))
      # The jobs read the spec from the image and refuse to run unless its sha256 is this one.
      sha256 = filesha256(path)
    } if var.models == null || contains(coalesce(var.models, []), name)
  }
  # Where each pipeline parameter's value comes from: the same table generate_params_json.py reads.
  parameter_sources = jsondecode(file("${var.pipeline_definitions_dir}/parameters.json"))
  # The environment's settings by the tfvars key generate_params_json.py reads; unset ones are left
  # out on both sides (the definition's default applies).
  settings = { for k, v in {
    environment              = var.environment
    sagemaker_role_arn       = local.sagemaker_role_arn
    mlflow_tracking_uri      = local.mlflow_uri
    feature_store_backend    = var.feature_store_backend
    feature_group_prefix     = "${local.name_prefix}-"
    data_uri                 = "s3://${module.storage.bucket_names["data"]}"
    model_output_s3_uri      = "s3://${module.storage.bucket_names["models"]}/training"
    report_s3_uri            = "s3://${module.storage.bucket_names["models"]}/inference-reports"
    training_image_uri       = var.training_image_uri
    training_instance_type   = var.training_instance_type
    experiment_name          = var.experiment_name
    inference_image_uri      = var.inference_image_uri
    inference_instance_type  = var.inference_instance_type
    inference_instance_count = var.inference_instance_count
    kafka_bootstrap_servers  = var.kafka_bootstrap_servers
    kafka_create_topic       = var.kafka_create_topic
    kafka_security_protocol  = var.kafka_security_protocol
    kafka_sasl_mechanism     = var.kafka_sasl_mechanism
    kafka_secret_arn         = var.kafka_secret_arn
    aws_region               = data.aws_region.current.name
    # The platform key by alias: known before the key exists, so manual runs name it too.
    kms_key_id  = module.storage.kms_key_alias
    batch_size  = var.batch_size
    model_alias = var.model_alias
  } : k => tostring(v) if v != null }
  model_values = { for name, m in local.models : name => {
    name               = name
    sha256             = m.sha256
    training_overrides = jsonencode(lookup(var.training_hyperparameters, name, {}))
  } }
  # The topics the models publish to in this environment (inference.kafka_topic of each spec).
  kafka_topics = sort(distinct([for m in local.models : replace(m.spec.inference.kafka_topic, "{environment}", var.environment)]))
  pipelines = merge([for name, m in local.models : { for kind in ["training", "inference"] : "${name}-${kind}" => {
    kind                = kind
    schedule_expression = try(m.spec.schedules[kind], null)
    parameters = { for param, source in local.parameter_sources[kind] : param => (
      try(source.setting, null) != null ? lookup(local.settings, source.setting, "") : local.model_values[name][source.model]
    ) }
  } }]...)
}

module "storage" {
  source      = "../storage"
  name_prefix = local.name_prefix
  tags        = var.tags
}

module "ecr" {
  source      = "../ecr"
  name_prefix = local.name_prefix
  kms_key_arn = module.storage.kms_key_arn
  keep_images = var.ecr_keep_images
  tags        = var.tags
}

module "iam" {
  source                     = "../iam"
  name_prefix                = local.name_prefix
  bucket_arns                = values(module.storage.bucket_arns)
  kms_key_arn                = module.storage.kms_key_arn
  repository_arns            = values(module.ecr.repository_arns)
  mlflow_tracking_server_arn = local.mlflow_arn
  offline_store_bucket_arn   = module.storage.bucket_arns["offline-store"]
  kafka = {
    sasl_mechanism     = var.kafka_sasl_mechanism
    cluster_arn        = var.kafka_cluster_arn
    topics             = local.kafka_topics
    create_topics      = var.kafka_create_topic == "true"
    secret_arn         = var.kafka_secret_arn
    secret_kms_key_arn = var.kafka_secret_kms_key_arn
  }
  vpc_config = local.vpc_config
  tags       = var.tags
}

resource "aws_sagemaker_mlflow_tracking_server" "this" {
  count                = var.create_mlflow_tracking_server ? 1 : 0
  tracking_server_name = local.mlflow_name
  role_arn             = module.iam.sagemaker_role_arn
  artifact_store_uri   = "s3://${module.storage.bucket_names["models"]}/mlflow"
  tracking_server_size = var.mlflow_tracking_server_size
  mlflow_version       = var.mlflow_server_version

  lifecycle {
    precondition {
      condition     = var.mlflow_tracking_uri == ""
      error_message = "Set either mlflow_tracking_uri or create_mlflow_tracking_server, not both."
    }
  }
  tags = var.tags
}

module "vpc_endpoints" {
  source                    = "../vpc_endpoints"
  count                     = var.create_vpc_endpoints ? 1 : 0
  name_prefix               = local.name_prefix
  vpc_id                    = var.vpc_id
  subnet_ids                = var.job_subnet_ids
  route_table_ids           = var.vpc_route_table_ids
  client_security_group_ids = var.job_security_group_ids
  mlflow                    = local.mlflow_arn != ""
  secrets_manager           = var.kafka_sasl_mechanism == "SCRAM-SHA-512"
  tags                      = var.tags
}

module "feature_store" {
  source               = "../feature_store"
  name_prefix          = local.name_prefix
  specs_dir            = var.feature_specs_dir
  offline_store_s3_uri = "s3://${module.storage.bucket_names["offline-store"]}/feature-store"
  kms_key_arn          = module.storage.kms_key_arn
  role_arn             = module.iam.sagemaker_role_arn
  tags                 = var.tags
}

module "pipelines" {
  source             = "../pipelines"
  name_prefix        = local.name_prefix
  definitions_dir    = var.pipeline_definitions_dir
  sagemaker_role_arn = module.iam.sagemaker_role_arn
  scheduler_role_arn = module.iam.scheduler_role_arn
  kms_key_arn        = module.storage.kms_key_arn
  alert_emails       = var.alert_emails
  vpc_config         = local.vpc_config
  pipelines          = local.pipelines
  tags               = var.tags
}
