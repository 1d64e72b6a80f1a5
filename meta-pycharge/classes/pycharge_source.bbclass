# Where pycharge's source comes from.
#
# PYCHARGE_SOURCE = "srctree" (default): the git checkout that holds this layer, as it is now,
#   so CI and developers build the commit under test with their edits. Only files git tracks
#   are copied (build output, virtualenvs and caches in the checkout never reach a package);
#   PYCHARGE_SRCTREE_EXCLUDE drops tracked files the build does not need. Every copied file
#   is in do_unpack[file-checksums], so editing one reruns do_unpack and all that follows; git's
#   index is a parse dependency, so adding or removing a file re-parses the recipe. Signatures
#   hold the files' relative paths and contents, not where the checkout is: sstate is shared.
# PYCHARGE_SOURCE = "git": PYCHARGE_GIT_URL at SRCREV, for release builds from a pinned commit.
#
# Both put the tree in ${WORKDIR}/git (S): kirkstone and scarthgap unpack there; styhead and
# later need S changed (UNPACKDIR), which is why LAYERSERIES_COMPAT stops at scarthgap.

PYCHARGE_SOURCE ??= "srctree"
PYCHARGE_GIT_URL ??= "git://github.com/pycharge/pycharge.git;protocol=https;branch=main"
PYCHARGE_SRCTREE_EXCLUDE ??= "meta-pycharge/* kas/* bench/*"

SRC_URI:prepend = "${@d.getVar('PYCHARGE_GIT_URL') if d.getVar('PYCHARGE_SOURCE') == 'git' else ''} "
S = "${WORKDIR}/git"

do_unpack[file-checksums] += "${@pycharge_srctree_checksums(d)}"
do_unpack[postfuncs] += "${@'pycharge_srctree_copy' if d.getVar('PYCHARGE_SOURCE') == 'srctree' else ''}"
do_unpack[vardeps] += "PYCHARGE_SOURCE PYCHARGE_SRCTREE_EXCLUDE"
pycharge_srctree_copy[vardepsexclude] = "PYCHARGE_SRCTREE"

def pycharge_git(top, *args):
    import subprocess
    # safe.directory: containers (kas-container) mount the checkout under another owner
    command = ['git', '-c', 'safe.directory=' + top, '-C', top] + list(args)
    try:
        return subprocess.check_output(command, stderr=subprocess.STDOUT).decode('utf-8')
    except (OSError, subprocess.CalledProcessError) as error:
        bb.fatal('%s is not a git checkout (%s); set PYCHARGE_SOURCE = "git" to fetch '
                 'PYCHARGE_GIT_URL instead' % (top, getattr(error, 'output', error)))

def pycharge_srctree_files(d, top):
    """Tracked files that exist in the work tree, minus PYCHARGE_SRCTREE_EXCLUDE."""
    import fnmatch
    excluded = (d.getVar('PYCHARGE_SRCTREE_EXCLUDE') or '').split()
    names = pycharge_git(top, 'ls-files', '-z', '--cached').split('\0')
    return [name for name in sorted(set(names))
            if name and os.path.lexists(os.path.join(top, name))
            and not any(fnmatch.fnmatchcase(name, pattern) for pattern in excluded)]

def pycharge_srctree_checksums(d):
    if d.getVar('PYCHARGE_SOURCE') != 'srctree':
        return ''
    top = d.getVar('PYCHARGE_SRCTREE')
    entries = []
    for name in pycharge_srctree_files(d, top):
        if ':' in name or '*' in name:
            bb.fatal('%s: bitbake cannot checksum file names with ":" or "*"' % name)
        # "/./": bitbake then hashes the path after it, so a moved file also rebuilds
        entries.append('%s/./%s:True' % (top, name))
    return ' '.join(entries)

pycharge_srctree_copy[doc] = "Copies the files git tracks in PYCHARGE_SRCTREE to S"
python pycharge_srctree_copy() {
    import shutil
    top = d.getVar('PYCHARGE_SRCTREE')
    destination = d.getVar('S')
    bb.utils.remove(destination, recurse=True)
    for name in pycharge_srctree_files(d, top):
        target = os.path.join(destination, name)
        bb.utils.mkdirhier(os.path.dirname(target))
        shutil.copy2(os.path.join(top, name), target, follow_symlinks=False)
}

# nooelint: oelint.task.noanonpython - git's index must be a parse dependency of this recipe
python () {
    if d.getVar('PYCHARGE_SOURCE') == 'srctree':
        top = d.getVar('PYCHARGE_SRCTREE')
        index = pycharge_git(top, 'rev-parse', '--git-path', 'index').strip()
        bb.parse.mark_dependency(d, os.path.join(top, index))
    elif d.getVar('PYCHARGE_SOURCE') != 'git':
        bb.fatal('PYCHARGE_SOURCE must be "srctree" or "git", not "%s"' % d.getVar('PYCHARGE_SOURCE'))
}
