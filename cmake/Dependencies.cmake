# External libraries, all from Debian: OpenSSL libcrypto (SHA-256/HMAC), libpcap (dump API),
# libinih (scenario files of `umptcp sim`).
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
# libinih: the INI parser of scenario files (tools only, never the library).
pkg_check_modules(INIH REQUIRED IMPORTED_TARGET inih)

add_library(umptcp_deps INTERFACE)
target_link_libraries(umptcp_deps INTERFACE OpenSSL::Crypto PkgConfig::PCAP)

if(UMPTCP_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
