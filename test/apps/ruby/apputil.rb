# What the Ruby application programs share: checks that fail the program
# saying what went wrong.

class CheckFailed < StandardError; end

def eq(got, want, what)
  raise CheckFailed, "#{what}: got #{got.inspect}, want #{want.inspect}" unless got == want
end

def check(cond, what)
  raise CheckFailed, what unless cond
end
