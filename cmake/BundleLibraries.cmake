# Install-time script (component bundled_libs): copies into <prefix>/lib the shared libraries
# FLOPBENCH_BUNDLE_LIBRARIES and every library that they or FLOPBENCH_BUNDLE_EXECUTABLE load,
# except those matching FLOPBENCH_BUNDLE_EXCLUDE_REGEXES (the system's; see Packaging.cmake).
# Each is copied from its real file under its SONAME, so lib/ holds exactly the names the loader
# asks for and no symlinks that a copy to another machine could break.
file(GET_RUNTIME_DEPENDENCIES
     EXECUTABLES "${FLOPBENCH_BUNDLE_EXECUTABLE}"
     LIBRARIES ${FLOPBENCH_BUNDLE_LIBRARIES}
     DIRECTORIES ${FLOPBENCH_BUNDLE_DIRECTORIES}
     PRE_EXCLUDE_REGEXES ${FLOPBENCH_BUNDLE_EXCLUDE_REGEXES}
     RESOLVED_DEPENDENCIES_VAR resolved
     UNRESOLVED_DEPENDENCIES_VAR unresolved
     CONFLICTING_DEPENDENCIES_PREFIX conflicting)
if(unresolved)
  message(FATAL_ERROR "flopbench bundle: cannot find ${unresolved} "
                      "(needed by ${FLOPBENCH_BUNDLE_EXECUTABLE})")
endif()
if(conflicting_FILENAMES)
  message(FATAL_ERROR "flopbench bundle: more than one file for ${conflicting_FILENAMES}")
endif()
set(sonames "")
foreach(library IN LISTS resolved FLOPBENCH_BUNDLE_LIBRARIES)
  file(REAL_PATH "${library}" real_file)
  execute_process(COMMAND "${FLOPBENCH_BUNDLE_OBJDUMP}" -p "${real_file}"
                  OUTPUT_VARIABLE headers COMMAND_ERROR_IS_FATAL ANY)
  if(NOT headers MATCHES "\n *SONAME +([^\n]+)\n")
    message(FATAL_ERROR "flopbench bundle: ${real_file} has no SONAME")
  endif()
  set(soname "${CMAKE_MATCH_1}")
  list(FIND sonames "${soname}" seen)
  if(seen GREATER -1)
    continue()
  endif()
  list(APPEND sonames "${soname}")
  file(INSTALL DESTINATION "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib" TYPE FILE
       RENAME "${soname}" FILES "${real_file}")
endforeach()
