#include <stdio.h>
int main(void) { fputs("portgatectl: not built yet\n", stderr); return 1; }
