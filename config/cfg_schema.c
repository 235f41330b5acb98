/* placeholder */ int cfg_schema_placeholder(void); int cfg_schema_placeholder(void) { return 0; }
