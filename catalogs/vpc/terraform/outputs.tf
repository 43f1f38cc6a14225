output "vpcId" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "privateSubnetIds" {
  description = "IDs of the private subnets, one per availability zone."
  value       = aws_subnet.private[*].id
}

output "publicSubnetIds" {
  description = "IDs of the public subnets, one per availability zone."
  value       = aws_subnet.public[*].id
}

output "cidrBlock" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}
