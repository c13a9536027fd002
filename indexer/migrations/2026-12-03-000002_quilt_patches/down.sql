DROP TABLE quilt_patch_tags;
DROP TABLE quilt_patches;
DROP TABLE quilt_checks;
