"""Beyond one device and one memory: row sharding, chunked data and out-of-core fits."""
