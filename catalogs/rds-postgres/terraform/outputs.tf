output "endpoint" {
  description = "Host name of the database (without the port)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port the database listens on."
  value       = aws_db_instance.this.port
}

output "username" {
  description = "Name of the master user."
  value       = aws_db_instance.this.username
}

output "password" {
  description = "Password of the master user."
  value       = local.master_password
  sensitive   = true
}

output "databaseName" {
  description = "Name of the database created in the instance."
  value       = aws_db_instance.this.db_name
}
