#include "sl_test.h"
static int t(void){CHECK(1);return 0;}
static const struct sl_test_case c[]={{"placeholder",t},{NULL,NULL}};
int main(void){return sl_test_run("config",c);}
