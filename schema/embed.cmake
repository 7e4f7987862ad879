file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from compose-spec.json; do not edit.\n#include <string_view>\nnamespace berth::schema {\nextern const std::string_view kComposeSpecJson;\nconst std::string_view kComposeSpecJson = R\"berthschema(${text})berthschema\";\n}\n")
