# One environment: `terraform apply` here (staging) or in ../prod, whose .tf files are links to
# these; the environments differ only in terraform.tfvars. This root is the composition of the
# shared modules (../modules) and declares each input once (variables.tf), so there is no
# wrapper module whose variables the root would re-declare. A new environment is a folder of
# links to these files plus its own terraform.tfvars (README.md).
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
  # The spec files and definitions the Python code reads: the repository's, unless a test points elsewhere.
  feature_specs_dir        = coalesce(var.feature_specs_dir, "${path.module}/../../feature_groups")
  model_specs_dir          = coalesce(var.model_specs_dir, "${path.module}/../../models")
  pipeline_definitions_dir = coalesce(var.pipeline_definitions_dir, "${path.module}/../../pipelines")
}

# -- models: one training and one inference pipeline per models/<name>.yaml -----------------
locals {
  model_files = { for f in fileset(local.model_specs_dir, "*.yaml") : trimsuffix(f, ".yaml") => "${local.model_specs_dir}/${f}" }
  models = {
    for name, path in local.model_files : name => {
      spec = yamldecode(file(path))
      # The jobs read the spec from the image and refuse to run unless its sha256 is this one.
      sha256 = filesha256(path)
    } if var.models == null || contains(coalesce(var.models, []), name)
  }
  # Where each pipeline parameter's value comes from: the same table generate_params_json.py reads.
  parameter_sources = jsondecode(file("${local.pipeline_definitions_dir}/parameters.json"))
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
    predictions_s3_uri       = "s3://${module.storage.bucket_names["models"]}/predictions"
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
  source      = "../modules/storage"
  name_prefix = local.name_prefix
  tags        = var.tags
}

module "ecr" {
  source      = "../modules/ecr"
  name_prefix = local.name_prefix
  kms_key_arn = module.storage.kms_key_arn
  keep_images = var.ecr_keep_images
  tags        = var.tags
}

module "iam" {
  source                     = "../modules/iam"
  name_prefix                = local.name_prefix
  bucket_arns                = values(module.storage.bucket_arns)
  kms_key_arn                = module.storage.kms_key_arn
  repository_arns            = [for r in values(module.ecr.repositories) : r.arn]
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
  vpc_config        = local.vpc_config
  metrics_namespace = local.metrics_namespace
  tags              = var.tags
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
  source                    = "../modules/vpc_endpoints"
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
  source               = "../modules/feature_store"
  name_prefix          = local.name_prefix
  specs_dir            = local.feature_specs_dir
  offline_store_s3_uri = "s3://${module.storage.bucket_names["offline-store"]}/feature-store"
  kms_key_arn          = module.storage.kms_key_arn
  role_arn             = module.iam.sagemaker_role_arn
  tags                 = var.tags
}

module "pipelines" {
  source             = "../modules/pipelines"
  name_prefix        = local.name_prefix
  definitions_dir    = local.pipeline_definitions_dir
  sagemaker_role_arn = module.iam.sagemaker_role_arn
  scheduler_role_arn = module.iam.scheduler_role_arn
  kms_key_arn        = module.storage.kms_key_arn
  alert_emails       = var.alert_emails
  vpc_config         = local.vpc_config
  pipelines          = local.pipelines
  tags               = var.tags
}

# The jobs' metrics and their alarms. The fallbacks are the Python defaults (ModelSpec's
# drift_fail_psi, promotion_metric and promotion_floor, InferenceSettings.max_skipped_share,
# CLOUDWATCH_NAMESPACE); tests/unit/test_deployed_checks.py keeps them equal. The realised
# ROC-AUC alarm uses promotion.floor when the model is promoted on roc_auc.
locals {
  metrics_namespace = "MLPlatform"
  alarm_limits = { for name, m in local.models : name => {
    drift_fail_psi    = try(m.spec.monitoring.drift.fail_psi, 0.25)
    max_skipped_share = 0.2
    roc_auc_floor     = try(m.spec.promotion.metric, "roc_auc") == "roc_auc" ? try(m.spec.promotion.floor, 0.6) : null
  } }
}

module "monitoring" {
  source      = "../modules/monitoring"
  name_prefix = local.name_prefix
  metrics     = { namespace = local.metrics_namespace, environment = var.environment }
  models      = local.alarm_limits
  alarm       = { topic_arn = module.pipelines.alerts_topic_arn }
  tags        = var.tags
}

# The example values terraform.tfvars ships with: nothing is applied while one is left.
locals {
  example_values = { for k, v in {
    sagemaker_role_arn       = var.sagemaker_role_arn
    mlflow_tracking_uri      = var.mlflow_tracking_uri
    data_uri                 = var.data_uri
    model_output_s3_uri      = var.model_output_s3_uri
    report_s3_uri            = var.report_s3_uri
    predictions_s3_uri       = var.predictions_s3_uri
    kafka_bootstrap_servers  = var.kafka_bootstrap_servers
    kafka_cluster_arn        = var.kafka_cluster_arn
    kafka_secret_arn         = var.kafka_secret_arn
    kafka_secret_kms_key_arn = var.kafka_secret_kms_key_arn
    training_image_uri       = var.training_image_uri
    inference_image_uri      = var.inference_image_uri
    job_subnet_ids           = join(",", var.job_subnet_ids)
    job_security_group_ids   = join(",", var.job_security_group_ids)
  } : k => v if can(regex("111111111111|222222222222|REPLACE-ME|0123456789abcdef0", v)) }
  # The ECR repositories are IMMUTABLE and never receive :latest: only a digest pin can run.
  unpinned_images = [for k, v in { inference = var.inference_image_uri, training = var.training_image_uri } : k if !can(regex("@sha256:[0-9a-f]{64}$", v))]
  # The settings terraform.tfvars states for manual runs, each equal to what Terraform computes.
  given_settings = {
    sagemaker_role_arn   = var.sagemaker_role_arn
    feature_group_prefix = var.feature_group_prefix
    kms_key_id           = var.kms_key_id
    data_uri             = var.data_uri
    model_output_s3_uri  = var.model_output_s3_uri
    report_s3_uri        = var.report_s3_uri
    predictions_s3_uri   = var.predictions_s3_uri
  }
  mismatched_settings = sort([for k, v in local.given_settings : k if v != local.settings[k]])
}

# generate_params_json.py reads these settings for manual runs: they must name what Terraform
# creates. Preconditions, so a plan fails (a check block would only warn).
resource "terraform_data" "settings" {
  lifecycle {
    precondition {
      condition     = length(local.example_values) == 0
      error_message = "terraform.tfvars still holds example values in ${join(", ", sort(keys(local.example_values)))}: replace the example account ids 111111111111/222222222222, the example subnet and security group ids and every REPLACE-ME with your own values (docs/deploy.md, \"Values to replace\")."
    }
    precondition {
      condition     = length(local.unpinned_images) == 0
      error_message = "${join(", ", [for i in local.unpinned_images : "${i}_image_uri"])}: not pinned by digest (<repository>@sha256:<digest>): run scripts/build_push_ecr.sh all --environment ${var.environment}, which pushes the images and writes images.auto.tfvars.json (docs/deploy.md)."
    }
    precondition {
      condition     = length(local.mismatched_settings) == 0
      error_message = join(" ", [for k in local.mismatched_settings : "${k} in terraform.tfvars is ${local.given_settings[k]}, not the value Terraform creates: set it to ${local.settings[k]}."])
    }
  }
}
