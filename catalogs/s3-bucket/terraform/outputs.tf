output "bucketName" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "bucketArn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "region" {
  description = "AWS region of the bucket."
  value       = aws_s3_bucket.this.region
}
