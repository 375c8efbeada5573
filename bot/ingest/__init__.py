"""Turn LinkedIn data (files, later the REST API) into validated import batches."""
