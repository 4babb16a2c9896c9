# What `promote --version` reports besides the version: the git commit the tree was built from and
# the build date, written into a generated header at configure time.
#
#   include(PromoteBuildInfo)
#   promote_build_info(SOURCE_DIR <dir> OUTPUT <header>)
#
# Commit: `git rev-parse HEAD` when SOURCE_DIR is the top of a git work tree, "unknown" otherwise
# (a source tarball, or a tree unpacked inside some other repository). Build date: now, in UTC,
# or SOURCE_DATE_EPOCH when it is set (string(TIMESTAMP) honours it), so a release build is
# reproducible. In a git tree the configure step depends on HEAD and the branch it names, so a new
# commit re-runs it before the next build.
#
# A build without the git tree (a container build context, a source tarball) can name the commit
# with -DPROMOTE_GIT_COMMIT=<sha>; it is taken as given.
#
# Also runs as a script, which is how tests check it without configuring a build:
#   cmake -DSOURCE_DIR=<dir> -DOUTPUT=<header> -P cmake/PromoteBuildInfo.cmake
# Templates come from cmake/build_info.h.in beside this file.

set(_PROMOTE_BUILD_INFO_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(promote_build_info)
  cmake_parse_arguments(BI "" "SOURCE_DIR;OUTPUT" "" ${ARGN})
  set(commit "unknown")
  set(git_dir "")
  find_program(PROMOTE_GIT git)
  if(PROMOTE_GIT)
    execute_process(COMMAND "${PROMOTE_GIT}" -C "${BI_SOURCE_DIR}" rev-parse --show-toplevel HEAD --absolute-git-dir
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0)
      string(REPLACE "\n" ";" lines "${out}")
      list(LENGTH lines n)
      if(n EQUAL 3)
        list(GET lines 0 toplevel)
        list(GET lines 1 head)
        list(GET lines 2 git_dir)
        file(REAL_PATH "${toplevel}" toplevel)
        file(REAL_PATH "${BI_SOURCE_DIR}" source_real)
        # A tree unpacked inside another repository is not that repository's commit.
        if(toplevel STREQUAL source_real AND head MATCHES "^[0-9a-f]+$")
          set(commit "${head}")
        else()
          set(git_dir "")
        endif()
      endif()
    endif()
  endif()
  if(PROMOTE_GIT_COMMIT)
    if(NOT PROMOTE_GIT_COMMIT MATCHES "^[0-9a-f]+$")
      message(FATAL_ERROR "PROMOTE_GIT_COMMIT must be a hexadecimal commit id, not '${PROMOTE_GIT_COMMIT}'")
    endif()
    set(commit "${PROMOTE_GIT_COMMIT}")
  endif()
  string(TIMESTAMP build_date "%Y-%m-%dT%H:%M:%SZ" UTC)

  set(PROMOTE_BUILD_COMMIT "${commit}")
  set(PROMOTE_BUILD_DATE "${build_date}")
  configure_file("${_PROMOTE_BUILD_INFO_DIR}/build_info.h.in" "${BI_OUTPUT}" @ONLY)

  # Re-configure when HEAD moves (a commit, a checkout). HEAD names the branch; its ref is a loose
  # file or, once packed, a line of packed-refs in the common git dir (worktrees share it).
  if(git_dir AND NOT CMAKE_SCRIPT_MODE_FILE)
    set(deps "${git_dir}/HEAD")
    file(READ "${git_dir}/HEAD" head_file)
    if(head_file MATCHES "^ref: ([^\n]+)")
      set(ref "${CMAKE_MATCH_1}")
      execute_process(COMMAND "${PROMOTE_GIT}" -C "${BI_SOURCE_DIR}" rev-parse --git-common-dir
                      OUTPUT_VARIABLE common_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      get_filename_component(common_dir "${common_dir}" ABSOLUTE BASE_DIR "${BI_SOURCE_DIR}")
      foreach(candidate "${git_dir}/${ref}" "${common_dir}/${ref}" "${common_dir}/packed-refs")
        if(EXISTS "${candidate}")
          list(APPEND deps "${candidate}")
        endif()
      endforeach()
    endif()
    set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${deps})
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT SOURCE_DIR OR NOT OUTPUT)
    message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<dir> -DOUTPUT=<header> -P PromoteBuildInfo.cmake")
  endif()
  promote_build_info(SOURCE_DIR "${SOURCE_DIR}" OUTPUT "${OUTPUT}")
endif()
