DROP TABLE stakes;
DROP TABLE pools;
DROP TABLE committee_shards;
DROP TABLE committee_members;
DROP TABLE epochs;
DROP TABLE blobs;
DROP TABLE events;
DROP TABLE watermarks;
