/* placeholder */ int cfg_placeholder(void); int cfg_placeholder(void) { return 0; }
