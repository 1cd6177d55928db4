# The smallest use of the module: its required inputs only. Planned by the module's terraform test.
module "vpc_endpoints" {
  source                    = "../.."
  name_prefix               = "example-staging"
  vpc_id                    = "vpc-0abc"
  subnet_ids                = ["subnet-0a"]
  route_table_ids           = ["rtb-0a"]
  client_security_group_ids = ["sg-0ab"]
}
