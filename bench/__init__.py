"""`make bench`: sitebill at a realistic scale, against floors measured in the same run."""
