# Install-time part of packaging/CMakeLists.txt (install(SCRIPT), component "service"): the
# systemd units (service and socket), the sysusers.d entry and /etc/promote, placed for the prefix of *this* install,
# which may differ from the configured one (cmake --install --prefix, CPack's /usr).
#   prefix /usr  -> /usr/lib/systemd/system, /usr/lib/sysusers.d, /etc/promote
#   other prefix -> <prefix>/lib/systemd/system, <prefix>/lib/sysusers.d, <prefix>/etc/promote
# The unit's paths (/usr/bin/promote, /etc/promote, /usr/share/doc/promote) are rewritten to match.
# An existing agent.yaml is kept (the .deb marks it a conffile, so dpkg asks instead).
# Set by packaging/CMakeLists.txt: PROMOTE_PACKAGING_DIR (its source), PROMOTE_STAGING (a scratch dir).

set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(etc "/etc")
else()
  set(etc "${prefix}/etc")
endif()

file(READ "${PROMOTE_PACKAGING_DIR}/systemd/promote-agent.service" unit)
string(REPLACE "/usr/bin/promote" "${prefix}/bin/promote" unit "${unit}")
string(REPLACE "/usr/share/doc/promote" "${prefix}/share/doc/promote" unit "${unit}")
string(REPLACE "/etc/promote" "${etc}/promote" unit "${unit}")
file(MAKE_DIRECTORY "${PROMOTE_STAGING}")
file(WRITE "${PROMOTE_STAGING}/promote-agent.service" "${unit}")
file(INSTALL "${PROMOTE_STAGING}/promote-agent.service" DESTINATION "${prefix}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(READ "${PROMOTE_PACKAGING_DIR}/systemd/promote-agent.socket" socket_unit)
string(REPLACE "/usr/share/doc/promote" "${prefix}/share/doc/promote" socket_unit "${socket_unit}")
file(WRITE "${PROMOTE_STAGING}/promote-agent.socket" "${socket_unit}")
file(INSTALL "${PROMOTE_STAGING}/promote-agent.socket" DESTINATION "${prefix}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${PROMOTE_PACKAGING_DIR}/sysusers.d/promote.conf" DESTINATION "${prefix}/lib/sysusers.d"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

if(EXISTS "$ENV{DESTDIR}${etc}/promote/agent.yaml")
  message(STATUS "Keeping: $ENV{DESTDIR}${etc}/promote/agent.yaml")
else()
  file(INSTALL "${PROMOTE_PACKAGING_DIR}/etc/agent.yaml" DESTINATION "${etc}/promote"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
# Secrets for the unit's LoadCredential=: root's alone (the agent reads its copies under /run).
file(MAKE_DIRECTORY "${PROMOTE_STAGING}/credentials")
file(INSTALL "${PROMOTE_STAGING}/credentials" DESTINATION "${etc}/promote"
     DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
