# CPack: three Debian packages from the install components above.
#   dtt-node     the dtt-node binary, dtt-node@.service, /etc/dtt/dht.conf
#   libdtt0      the shared library
#   libdtt-dev   headers, the static library, the .so link and dtt.pc
# Build them from a tree configured with -DCMAKE_INSTALL_PREFIX=/usr: scripts/deb.sh.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dtt)
set(CPACK_PACKAGE_VENDOR "The dtt authors")
set(CPACK_PACKAGE_CONTACT "dtt maintainers <maintainers@users.noreply.r-seed-f660a5c5.example>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL node lib dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# then strip as dh_strip does: no .comment/.note in the binaries, no debug symbols in libdtt.a
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_SOURCE_DIR}/deb/strip.cmake)
set(CPACK_DTT_STRIP ${CMAKE_STRIP})

set(CPACK_DEBIAN_NODE_PACKAGE_NAME dtt-node)
set(CPACK_COMPONENT_NODE_DESCRIPTION
  "topic discovery for gossip networks over the mainline DHT: node
dtt-node runs a mainline BitTorrent DHT node (BEP 5, BEP 44 storage),
joins gossip topics whose members find each other through signed,
encrypted records stored on the DHT, and seals and opens those records.
The dtt-node@.service unit runs one node per file in /etc/dtt/.")
set(CPACK_DEBIAN_NODE_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_SOURCE_DIR}/deb/conffiles)

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libdtt${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION
  "topic discovery for gossip networks over the mainline DHT: library
libdtt lets a program join gossip topics whose members find each other
through signed, encrypted records stored on the mainline BitTorrent DHT,
and broadcast to them.")
# ldconfig through a trigger; the package's own (empty) postinst and postrm keep CPack from
# writing scripts that call ldconfig
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_SOURCE_DIR}/deb/triggers
  ${CMAKE_CURRENT_SOURCE_DIR}/deb/postinst ${CMAKE_CURRENT_SOURCE_DIR}/deb/postrm)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdtt-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# the Debian -dev packages of the pkg-config modules in dtt.pc's Requires.private
set(dev_depends "libdtt${PROJECT_VERSION_MAJOR} (= ${PROJECT_VERSION}-1)")
set(deb_dev_libsodium libsodium-dev)
set(deb_dev_libcrypto libssl-dev)
set(deb_dev_libmicrohttpd libmicrohttpd-dev)
string(REPLACE " " ";" pc_modules "${DTT_PC_REQUIRES}")
foreach(module ${pc_modules})
  if(NOT DEFINED deb_dev_${module})
    message(FATAL_ERROR "packaging/cpack.cmake: no Debian package known for pkg-config module ${module}")
  endif()
  string(APPEND dev_depends ", ${deb_dev_${module}}")
endforeach()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${dev_depends}")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "topic discovery for gossip networks over the mainline DHT: development files
The headers (include/dtt/), the static library and the pkg-config file
(dtt.pc) of libdtt, the library that lets a program join gossip topics
whose members find each other through records on the mainline DHT.")

include(CPack)
