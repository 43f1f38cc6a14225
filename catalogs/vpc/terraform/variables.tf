# Variable names are the entry's parameter names (camelCase): envcat maps parameters to variables by name.

variable "name" {
  description = "Prefix of the Name tag of every resource."
  type        = string
  default     = "envcat"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lower-case letters, digits and \"-\", starting with a letter."
  }
}

variable "region" {
  description = "AWS region the VPC is created in."
  type        = string
  default     = "eu-west-1"
}

variable "cidrBlock" {
  description = "IPv4 CIDR block of the VPC (/16 to /24)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition = (
      can(cidrhost(var.cidrBlock, 0)) &&
      can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}/(1[6-9]|2[0-4])$", var.cidrBlock))
    )
    error_message = "cidrBlock must be an IPv4 CIDR block with a prefix length from /16 to /24."
  }
}

variable "azCount" {
  description = "Number of availability zones (one public and one private subnet each)."
  type        = number
  default     = 2

  validation {
    condition     = var.azCount >= 2 && var.azCount <= 6 && floor(var.azCount) == var.azCount
    error_message = "azCount must be a whole number from 2 to 6."
  }
}

variable "enableNatGateway" {
  description = "Create a NAT gateway so that the private subnets reach the internet."
  type        = bool
  default     = false
}

# Not a parameter: extra tags for every resource.
variable "tags" {
  description = "Additional tags for every resource."
  type        = map(string)
  default     = {}
}
