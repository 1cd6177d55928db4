locals {
  # One feature group per spec file; the files are the single definition (see feature_groups/).
  specs = { for f in fileset(var.specs_dir, "*.yaml") : trimsuffix(f, ".yaml") => yamldecode(file("${var.specs_dir}/${f}")) }
}

resource "aws_sagemaker_feature_group" "this" {
  for_each                       = local.specs
  feature_group_name             = "${var.name_prefix}-${each.value.name}"
  description                    = each.value.description
  record_identifier_feature_name = each.value.record_identifier_feature
  event_time_feature_name        = each.value.event_time_feature
  role_arn                       = var.role_arn

  dynamic "feature_definition" {
    for_each = each.value.features
    content {
      feature_name = feature_definition.value.name
      feature_type = feature_definition.value.type
    }
  }

  online_store_config {
    enable_online_store = each.value.online_store_enabled
    security_config {
      kms_key_id = var.kms_key_arn
    }
    dynamic "ttl_duration" {
      for_each = each.value.ttl_duration == null ? [] : [each.value.ttl_duration]
      content {
        unit  = ttl_duration.value.unit
        value = ttl_duration.value.value
      }
    }
  }

  dynamic "offline_store_config" {
    for_each = each.value.offline_store_enabled ? [1] : []
    content {
      disable_glue_table_creation = false
      s3_storage_config {
        s3_uri     = var.offline_store_s3_uri
        kms_key_id = var.kms_key_arn
      }
    }
  }
  tags = var.tags
}
