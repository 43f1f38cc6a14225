locals {
  # RDS identifiers: letters, digits and single hyphens, starting with a letter, at most 63 characters.
  base_name = trim(substr(replace(var.databaseName, "/[^a-z0-9]+/", "-"), 0, 40), "-")
  name      = "${local.base_name}-${random_id.suffix.hex}"

  use_subnet_group = length(var.subnetIds) > 0

  # Whether a password was given is not itself a secret; count needs a non-sensitive value.
  generate_password = nonsensitive(var.masterPassword == null)
  master_password   = local.generate_password ? random_password.master[0].result : var.masterPassword
}

resource "random_id" "suffix" {
  byte_length = 4
}

resource "random_password" "master" {
  count = local.generate_password ? 1 : 0

  length           = 32
  special          = true
  override_special = "!#$%^&*()-_=+[]{}:?"
  min_lower        = 1
  min_upper        = 1
  min_numeric      = 1
}

# The VPC the database lives in: the given one, or the region's default VPC.
data "aws_vpc" "selected" {
  id      = var.vpcId != "" ? var.vpcId : null
  default = var.vpcId == "" ? true : null
}

resource "aws_db_subnet_group" "this" {
  count = local.use_subnet_group ? 1 : 0

  name        = local.name
  description = "Subnets of the ${var.databaseName} PostgreSQL database"
  subnet_ids  = var.subnetIds

  tags = {
    Name = local.name
  }
}

resource "aws_security_group" "this" {
  name        = "${local.name}-postgres"
  description = "PostgreSQL access to the ${var.databaseName} database"
  vpc_id      = data.aws_vpc.selected.id

  tags = {
    Name = "${local.name}-postgres"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each = toset(concat([data.aws_vpc.selected.cidr_block], var.allowedCidrBlocks))

  security_group_id = aws_security_group.this.id
  description       = "PostgreSQL from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "All outbound traffic"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_db_instance" "this" {
  identifier     = local.name
  engine         = "postgres"
  engine_version = var.engineVersion
  instance_class = var.instanceClass

  allocated_storage = var.allocatedStorage
  storage_type      = "gp3"
  storage_encrypted = true

  db_name  = var.databaseName
  username = var.masterUsername
  password = local.master_password
  port     = 5432

  db_subnet_group_name   = local.use_subnet_group ? aws_db_subnet_group.this[0].name : null
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  multi_az               = var.multiAz

  backup_retention_period     = var.backupRetentionDays
  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = true
  copy_tags_to_snapshot       = true
  deletion_protection         = false
  skip_final_snapshot         = var.skipFinalSnapshot
  final_snapshot_identifier   = var.skipFinalSnapshot ? null : "${local.name}-final"

  tags = {
    Name = local.name
  }

  lifecycle {
    precondition {
      condition     = (var.vpcId != "") == local.use_subnet_group
      error_message = "vpcId and subnetIds must be given together (or both left empty for the default VPC)."
    }
  }
}
