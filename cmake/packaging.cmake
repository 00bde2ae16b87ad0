# The .deb (CPack): the binary, the systemd unit, the commented config as a conffile, the SQL
# migrations and the dashboards. `cpack -G DEB` in the build directory after a build; the
# ops.package test does that into a temporary directory.
include(GNUInstallDirs)

# `cpack` and `make install` install what is built and do not rebuild the whole tree first
# (the package test must not trigger a full build); build before packaging.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

install(TARGETS dualwrite RUNTIME DESTINATION bin COMPONENT dualwrite)
# Debian 12 keeps units of packages in /lib/systemd/system.
install(FILES ${PROJECT_SOURCE_DIR}/systemd/dualwrite.service
        DESTINATION /lib/systemd/system COMPONENT dualwrite)
install(FILES ${PROJECT_SOURCE_DIR}/config/dualwrite.toml
        DESTINATION /etc/dualwrite PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        COMPONENT dualwrite)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql/ DESTINATION share/dualwrite/sql COMPONENT dualwrite)
# The cutover runbook, which the alert rules link to, beside the README.
install(FILES ${PROJECT_SOURCE_DIR}/docs/cutover.md ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION share/doc/dualwrite COMPONENT dualwrite)
install(FILES ${PROJECT_SOURCE_DIR}/dashboards/dualwrite.json
              ${PROJECT_SOURCE_DIR}/dashboards/alerts.yml
              ${PROJECT_SOURCE_DIR}/dashboards/alerts_test.yml
        DESTINATION share/dualwrite/dashboards COMPONENT dualwrite)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dualwrite)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "dualwrite")
set(CPACK_PACKAGE_CONTACT "dualwrite maintainers <dualwrite@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "CDC bridge from legacy tables to a normalized schema (PostgreSQL logical replication)")
set(CPACK_PACKAGE_DESCRIPTION
    "dualwrite subscribes to a pgoutput logical replication slot on the legacy tables and applies
each committed change to the new, normalized tables, exactly once in effect. Ships a hardened
systemd unit, Prometheus metrics, a Grafana dashboard and alert rules.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Library dependencies from the binary itself when dpkg-shlibdeps is there (it is on Debian
# build machines), else the list of Debian 12's packages the binary links.
find_program(DW_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DW_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libpq5, libspdlog1.10, libfmt9, libprometheus-cpp-core1.0, libtomlplusplus3, libsimdjson14, libsystemd0, libstdc++6, libc6, systemd")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, grafana")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/debian/conffiles ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
    ${PROJECT_SOURCE_DIR}/cmake/debian/prerm ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
