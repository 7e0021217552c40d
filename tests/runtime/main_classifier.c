/* main_classifier.c - the native runtime tests linked with the classifier fixture. */
#include "er_test.h"

void run_base64_tests(void);
void run_json_tests(void);
void run_image_tests(void);
void run_prepare_tests(void);
void run_protocol_tests(void);

int main(void)
{
    run_base64_tests();
    run_json_tests();
    run_image_tests();
    run_prepare_tests();
    run_protocol_tests();
    return er_test_summary("runtime (classifier fixture)");
}
